import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import { READ_MODEL_SCHEMA } from '../../read-models/read-model.entities';
import { RecordDeviceState, type RecordDeviceStateResult } from './record-device-state.command';

@CommandHandler(RecordDeviceState)
export class RecordDeviceStateHandler implements ICommandHandler<
  RecordDeviceState,
  RecordDeviceStateResult
> {
  constructor(private readonly dataSource: DataSource) {}

  /** One statement: only a registered client's, and only forward in the agent's time. */
  async execute({ summary, receivedAt }: RecordDeviceState): Promise<RecordDeviceStateResult> {
    const rm = READ_MODEL_SCHEMA;
    const rows = (await this.dataSource.query(
      `WITH known AS (SELECT 1 FROM ${rm}.clients WHERE tenant_id = $1 AND client_id = $2),
            written AS (
              INSERT INTO ${rm}.device_states AS d
                     (tenant_id, client_id, summary, reported_at, received_at)
              SELECT $1, $2, $3::jsonb, $4, $5 FROM known
              ON CONFLICT (tenant_id, client_id) DO UPDATE
                 SET summary = EXCLUDED.summary, reported_at = EXCLUDED.reported_at,
                     received_at = EXCLUDED.received_at
               WHERE d.reported_at <= EXCLUDED.reported_at
              RETURNING 1)
       SELECT (SELECT count(*) FROM known)::int AS known, (SELECT count(*) FROM written)::int AS written`,
      [summary.tenantId, summary.clientId, JSON.stringify(summary), summary.at, receivedAt],
    )) as { known: number; written: number }[];
    const [{ known, written }] = rows;
    return { outcome: known === 0 ? 'unknown_client' : written === 0 ? 'older' : 'recorded' };
  }
}
