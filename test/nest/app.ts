import 'reflect-metadata';
import {
  BadRequestException,
  Body,
  Catch,
  Controller,
  ForbiddenException,
  Get,
  Module,
  Param,
  ParseIntPipe,
  Post,
  UseGuards,
  type ArgumentsHost,
  type CallHandler,
  type CanActivate,
  type ExceptionFilter,
  type ExecutionContext,
  type INestApplication,
  type NestInterceptor,
  type PipeTransform,
} from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ExpressAdapter } from '@nestjs/platform-express';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';
import { batch } from '@inbatch/express';

// No constructor injection anywhere: vitest compiles with esbuild, which emits no
// decorator metadata, so every pipe, guard, interceptor and filter is built by hand or
// has no dependencies (what Nest needs `emitDecoratorMetadata` for is constructor types).

/** What the test reads back: every guard, pipe, interceptor and filter call, in order. */
export const calls: string[] = [];

/** A domain error the filter below turns into the API's own 404 shape. */
export class ItemMissing extends Error {
  constructor(readonly id: number) {
    super(`item ${id} is missing`);
  }
}

/** Lets a request in only with `Authorization: Bearer good`. */
class TokenGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Request>();
    calls.push(`guard ${request.url}`);
    if (request.headers.authorization !== 'Bearer good') throw new ForbiddenException('bad token');
    return true;
  }
}

/** Validates an order body: `qty` must be a positive integer. */
class OrderPipe implements PipeTransform<unknown, { qty: number }> {
  transform(value: unknown): { qty: number } {
    calls.push('pipe order');
    const qty = (value as { qty?: unknown } | undefined)?.qty;
    if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1) {
      throw new BadRequestException('qty must be a positive integer');
    }
    return { qty };
  }
}

/** Wraps every answer as `{ data }` and stamps which request it wrapped. */
class EnvelopeInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request>();
    calls.push(`interceptor ${request.url}`);
    context.switchToHttp().getResponse<Response>().setHeader('x-wrapped-for', request.url);
    return next.handle().pipe(map((data: unknown) => ({ data })));
  }
}

/** Answers the domain error as the API's own 404. */
@Catch(ItemMissing)
class ItemMissingFilter implements ExceptionFilter {
  catch(error: ItemMissing, host: ArgumentsHost): void {
    calls.push(`filter ${error.id}`);
    host.switchToHttp().getResponse<Response>().status(404).json({ error: 'no_such_item', id: error.id });
  }
}

@Controller()
@UseGuards(TokenGuard)
class ItemsController {
  @Get('items/:id')
  item(@Param('id', ParseIntPipe) id: number): { id: number } {
    if (id > 100) throw new ItemMissing(id);
    return { id };
  }

  @Post('orders')
  order(@Body(new OrderPipe()) order: { qty: number }): { ordered: number } {
    return { ordered: order.qty };
  }
}

@Controller()
class WhoController {
  @Get('whoami')
  whoami(): { ok: true } {
    return { ok: true };
  }
}

@Module({ controllers: [ItemsController, WhoController] })
class AppModule {}

/** The app as its `main.ts` would bootstrap it: `app.use(batch())`, then the global enhancers. */
export async function bootstrap(): Promise<INestApplication> {
  const app = await NestFactory.create(AppModule, new ExpressAdapter(), { logger: false });
  app.use(batch());
  app.useGlobalInterceptors(new EnvelopeInterceptor());
  app.useGlobalFilters(new ItemMissingFilter());
  await app.init();
  return app;
}
