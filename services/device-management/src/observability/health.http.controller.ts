import { Controller, Get, Optional, Res } from '@nestjs/common';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { DataSource } from 'typeorm';
import { BrokerHealth } from '../messaging/broker-health';
import { ApiEndpoint, jsonResponse } from '../http/api-docs';

const DB_CHECK_TIMEOUT_MS = 2_000;

@ApiTags('operations')
@Controller()
export class HealthHttpController {
  constructor(
    private readonly dataSource: DataSource,
    @Optional() private readonly broker?: BrokerHealth,
  ) {}

  @Get('health')
  @ApiEndpoint({
    summary: 'Health of the service',
    description:
      'Whether the database (and the broker, when there is one) can be reached. 503 with the same body when something is down.',
    access: 'public',
  })
  @ApiOkResponse(
    jsonResponse('Database (and broker) reachable', {
      status: 'up',
      checks: { database: { status: 'up' }, broker: { status: 'up' } },
    }),
  )
  @ApiServiceUnavailableResponse(
    jsonResponse('Something the service needs is down (same body)', {
      status: 'down',
      checks: {
        database: { status: 'down', error: 'no answer within 2 s' },
        broker: { status: 'up' },
      },
    }),
  )
  async health(@Res({ passthrough: true }) response: Response) {
    const database = await this.checkDatabase();
    const broker = this.broker?.check() ?? {
      status: 'disabled' as const,
      reason: 'no messaging module',
    };
    const up = database.status === 'up' && broker.status !== 'down';
    response.status(up ? 200 : 503);
    return { status: up ? 'up' : 'down', checks: { database, broker } };
  }

  private async checkDatabase(): Promise<{ status: 'up' | 'down'; error?: string }> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.dataSource.query('SELECT 1'),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('no answer within 2 s')), DB_CHECK_TIMEOUT_MS);
        }),
      ]);
      return { status: 'up' };
    } catch (error) {
      return { status: 'down', error: (error as Error).message };
    } finally {
      clearTimeout(timer);
    }
  }
}
