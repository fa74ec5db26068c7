/**
 * The book-builder inside the Nest shell: Nest constructs it, starts it with the module and stops
 * it on shutdown. The per-message path never goes through Nest (see book-builder.ts).
 */
import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { startBookBuilder, type RunningBookBuilder } from './book-builder';
import { BOOK_BUILDER_CONFIG, type BookBuilderConfig } from './config';

@Injectable()
export class BookBuilderService implements OnModuleInit, OnApplicationShutdown {
  private builder: RunningBookBuilder | undefined;

  constructor(@Inject(BOOK_BUILDER_CONFIG) private readonly cfg: BookBuilderConfig) {}

  onModuleInit(): void {
    this.builder = startBookBuilder(this.cfg);
  }

  async onApplicationShutdown(): Promise<void> {
    await this.builder?.close();
  }
}
