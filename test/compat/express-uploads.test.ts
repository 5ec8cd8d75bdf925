import { createHash } from 'node:crypto';
import multer from 'multer';
import { describe, expect, it } from 'vitest';
import { batch } from '@inbatch/express';
import { EXPRESS, batchOf, useServers } from './helpers.js';

const FORM_BOUNDARY = '----inbatch-form-7d2';
// Every byte value, plus CRLF and dash runs that look like multipart framing.
const FILE_BYTES = Buffer.concat([
  Buffer.from(Array.from({ length: 256 }, (_, i) => i)),
  Buffer.from('\r\n--not-a-boundary\r\n\r\n'),
  Buffer.from(Array.from({ length: 256 }, (_, i) => 255 - i)),
]);

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A multipart/form-data body with one text field and one file. */
function formData(file: Buffer): Buffer {
  return Buffer.concat([
    Buffer.from(
      `--${FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="title"\r\n\r\nQuarterly report ü\r\n` +
        `--${FORM_BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="report.bin"\r\n` +
        'Content-Type: application/octet-stream\r\n\r\n',
    ),
    file,
    Buffer.from(`\r\n--${FORM_BOUNDARY}--\r\n`),
  ]);
}

describe.each(EXPRESS)('multipart/form-data uploads (multer) inside inner requests, on %s', (_name, express) => {
  const serve = useServers();

  function uploadApp(maxOperationBodyBytes?: number) {
    const app = express();
    app.use(batch(maxOperationBodyBytes === undefined ? {} : { maxOperationBodyBytes }));
    const upload = multer({ storage: multer.memoryStorage() });
    app.post('/upload', upload.single('file'), (req, res) => {
      const file = req.file;
      res.status(201).json({
        title: (req.body as { title?: string }).title ?? null,
        name: file?.originalname ?? null,
        type: file?.mimetype ?? null,
        size: file?.size ?? null,
        sha256: file === undefined ? null : sha256(file.buffer),
      });
    });
    return app;
  }

  const uploadPart = (body: Buffer) => ({
    method: 'POST',
    url: '/upload',
    headers: { 'Content-Type': `multipart/form-data; boundary=${FORM_BOUNDARY}` },
    body,
  });

  it('hands the form-data body to multer byte for byte: fields and a binary file arrive intact', async () => {
    const server = await serve(uploadApp());
    const reply = await batchOf(server, [uploadPart(formData(FILE_BYTES))]);
    const [part] = reply.parts;
    expect(part?.status).toBe(201);
    expect(part?.json()).toEqual({
      title: 'Quarterly report ü',
      name: 'report.bin',
      type: 'application/octet-stream',
      size: FILE_BYTES.length,
      sha256: sha256(FILE_BYTES),
    });
  });

  it('refuses an upload larger than maxOperationBodyBytes in its own slot, before multer sees it', async () => {
    const server = await serve(uploadApp(1024));
    const reply = await batchOf(server, [
      uploadPart(formData(Buffer.alloc(2048, 1))),
      uploadPart(formData(FILE_BYTES)),
    ]);
    const [tooLarge, fine] = reply.parts;
    expect(reply.status).toBe(200);
    expect(tooLarge?.status).toBe(413);
    expect(tooLarge?.json().error).toMatchObject({ code: 'batch.part.too_large', limit: 1024 });
    expect(fine?.status).toBe(201);
    expect(fine?.json().sha256).toBe(sha256(FILE_BYTES));
  });
});
