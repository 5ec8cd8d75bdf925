// Empties the package's dist/ before a build, so a file whose source was removed (or a
// source map from an older build) can never reach a tarball. Run from the package folder.
import { rmSync } from 'node:fs';

rmSync('dist', { recursive: true, force: true });
