import { Client } from 'pg';

export interface StoreHead {
  events: number;
  position: string;
}

/**
 * Reads how many events the store holds and its last global position, straight from
 * PostgreSQL: what a refused request must leave unchanged.
 */
export class EventStoreHead {
  private constructor(
    private readonly client: Client,
    private readonly schema: string,
  ) {}

  static async open(databaseUrl: string, schema = 'event_store'): Promise<EventStoreHead> {
    const client = new Client({ connectionString: databaseUrl });
    await client.connect();
    return new EventStoreHead(client, schema);
  }

  async read(): Promise<StoreHead> {
    const { rows } = await this.client.query<{ events: number; position: string }>(
      `SELECT count(*)::int AS events, coalesce(max(global_position), 0)::text AS position
         FROM ${this.schema}.events`,
    );
    return rows[0];
  }

  close(): Promise<void> {
    return this.client.end();
  }
}
