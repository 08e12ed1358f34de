import type { Migration } from '@opcfleet/event-store';
import { READ_MODEL_SCHEMA } from '../read-model.entities';

/**
 * The read models' tables, as numbered migrations (applied once each, recorded in
 * `read_models.schema_migrations`). Never edit one that has shipped: add the next version.
 * A migration whose rows cannot be converted in SQL sets `rebuild`: it empties the tables and
 * forgets the projection's checkpoint in its own transaction, and the projection fills them
 * again from the events.
 */
export function readModelMigrations(options: {
  eventStoreSchema: string;
  projection: string;
}): Migration[] {
  const rm = READ_MODEL_SCHEMA;
  // Both in one transaction with the schema change: a crash cannot leave empty tables behind
  // a checkpoint that says they are filled.
  const forgetCheckpoint = `DELETE FROM "${options.eventStoreSchema}".checkpoints WHERE name = '${options.projection}';`;
  const rebuild = `${forgetCheckpoint} TRUNCATE ${rm}.jobs, ${rm}.clients;`;
  return [
    {
      version: 1,
      name: 'tables-of-typeorm-synchronize',
      // What TypeORM's synchronize created until then (names included): a database it set up
      // takes this as done.
      sql: `
        CREATE TABLE IF NOT EXISTS ${rm}.clients ("tenant_id" text NOT NULL, "client_id" text NOT NULL, "stream_name" text NOT NULL, "labels" jsonb NOT NULL DEFAULT '{}', "status" text NOT NULL, "presence" text, "reported_version" text, "desired_version" text, "desired_config_version" integer NOT NULL DEFAULT '0', "applied_config_version" integer, "update_job_id" uuid, "last_update_outcome" text, "last_seen_at" TIMESTAMP WITH TIME ZONE, "registered_at" TIMESTAMP WITH TIME ZONE NOT NULL, "stream_revision" integer NOT NULL, "state" jsonb NOT NULL, CONSTRAINT "UQ_59c4fd8c4f657a2bee63e216afb" UNIQUE ("stream_name"), CONSTRAINT "PK_2880754d46a1961d04a3a545ddb" PRIMARY KEY ("tenant_id", "client_id"));
        CREATE INDEX IF NOT EXISTS "IDX_ec3211fb8908888dd1bdd90968" ON ${rm}.clients ("tenant_id", "status");
        CREATE TABLE IF NOT EXISTS ${rm}.jobs ("job_id" uuid NOT NULL, "kind" text NOT NULL, "tenant_id" text NOT NULL, "client_id" text NOT NULL, "status" text NOT NULL, "phase" text, "target_version" text, "image" text, "config_version" integer, "reported_version" text, "failure_reason" text, "failure_code" text, "rollback_reason" text, "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL, "dispatched_at" TIMESTAMP WITH TIME ZONE, "started_at" TIMESTAMP WITH TIME ZONE, "finished_at" TIMESTAMP WITH TIME ZONE, "stream_revision" integer NOT NULL, "state" jsonb NOT NULL, CONSTRAINT "PK_75f2e130e4b1372fea0b6248a17" PRIMARY KEY ("job_id"));
        CREATE INDEX IF NOT EXISTS "IDX_654aa735106d0d9bddc017fd58" ON ${rm}.jobs ("tenant_id", "requested_at", "job_id");
        CREATE INDEX IF NOT EXISTS "IDX_bf9abd787646b9ed21274a259c" ON ${rm}.jobs ("tenant_id", "client_id", "requested_at");
        CREATE TABLE IF NOT EXISTS ${rm}.device_credentials ("credential_id" uuid NOT NULL, "tenant_id" text NOT NULL, "client_id" text NOT NULL, "secret_hash" text NOT NULL, "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(), CONSTRAINT "PK_0b7111e508a20559c6cc6c9ec07" PRIMARY KEY ("credential_id"));`,
    },
    {
      version: 2,
      name: 'documents-not-decider-state',
      // The API's job document and the live credential replace the decider's state; the
      // document is made by the row mapper, so the rows are projected again.
      sql: `${rebuild}
        ALTER TABLE ${rm}.jobs DROP COLUMN state, ADD COLUMN document jsonb NOT NULL;
        ALTER TABLE ${rm}.clients DROP COLUMN state, ADD COLUMN credential_id uuid;`,
    },
    {
      version: 3,
      name: 'rollouts',
      // Rollouts were folded from their streams per request. The projection replays every
      // event to fill the new tables; the rows of the others are ahead and stay as they are.
      sql: `${forgetCheckpoint}
        CREATE TABLE ${rm}.rollouts ("rollout_id" uuid PRIMARY KEY, "tenant_id" text NOT NULL, "stream_name" text NOT NULL UNIQUE, "status" text NOT NULL, "started_at" timestamptz NOT NULL, "ended_at" timestamptz, "wake_at" timestamptz, "stream_revision" integer NOT NULL, "document" jsonb NOT NULL);
        CREATE INDEX ON ${rm}.rollouts ("tenant_id", "started_at", "rollout_id");
        CREATE INDEX ON ${rm}.rollouts ("wake_at") WHERE "wake_at" IS NOT NULL;
        CREATE TABLE ${rm}.rollout_clients ("rollout_id" uuid NOT NULL, "client_id" text NOT NULL, "tenant_id" text NOT NULL, "position" integer NOT NULL, "state" text NOT NULL, "stream_revision" integer NOT NULL, "document" jsonb NOT NULL, PRIMARY KEY ("rollout_id", "client_id"));
        CREATE INDEX ON ${rm}.rollout_clients ("rollout_id", "position");
        CREATE INDEX ON ${rm}.rollout_clients ("tenant_id", "client_id");`,
    },
    {
      version: 4,
      name: 'device-states',
      // The agents' retained state summaries: telemetry, the latest per client, not events.
      sql: `CREATE TABLE ${rm}.device_states ("tenant_id" text NOT NULL, "client_id" text NOT NULL, "summary" jsonb NOT NULL, "reported_at" timestamptz NOT NULL, "received_at" timestamptz NOT NULL, PRIMARY KEY ("tenant_id", "client_id"));`,
    },
    {
      version: 5,
      name: 'releases',
      // The version catalogue, and the release each update job installs. No stream held a
      // release and no job one before, so nothing is replayed: the tables fill as they come.
      sql: `
        CREATE TABLE ${rm}.releases ("release_id" uuid PRIMARY KEY, "tenant_id" text NOT NULL, "stream_name" text NOT NULL UNIQUE, "product" text NOT NULL, "version" text NOT NULL, "withdrawn" boolean NOT NULL, "registered_at" timestamptz NOT NULL, "stream_revision" integer NOT NULL, "document" jsonb NOT NULL);
        CREATE INDEX ON ${rm}.releases ("tenant_id", "registered_at", "release_id");
        CREATE INDEX ON ${rm}.releases ("tenant_id", "product", "registered_at", "release_id");
        ALTER TABLE ${rm}.jobs ADD COLUMN "release_id" uuid;
        CREATE INDEX ON ${rm}.jobs ("tenant_id", "release_id", "client_id", "requested_at") WHERE "release_id" IS NOT NULL;`,
    },
    {
      version: 6,
      name: 'alert-subscriptions-and-deliveries',
      // Webhook subscriptions (their secret, cleared on delete) and the delivery log (alerts/):
      // state of their own, not projected from events, and left alone by a rebuild. Times in
      // milliseconds, as the API shows them and its cursors compare them.
      sql: `
        CREATE TABLE ${rm}.alert_subscriptions ("subscription_id" uuid PRIMARY KEY, "tenant_id" text NOT NULL, "url" text NOT NULL, "kinds" text[] NOT NULL, "offline_minutes" integer NOT NULL DEFAULT 10, "secret" text, "created_by" text NOT NULL, "created_at" timestamptz(3) NOT NULL, "deleted_at" timestamptz(3));
        CREATE INDEX ON ${rm}.alert_subscriptions ("tenant_id") WHERE "deleted_at" IS NULL;
        CREATE TABLE ${rm}.alert_deliveries ("delivery_id" uuid PRIMARY KEY, "tenant_id" text NOT NULL, "subscription_id" uuid NOT NULL REFERENCES ${rm}.alert_subscriptions, "event_id" text NOT NULL, "event_type" text NOT NULL, "kind" text NOT NULL, "body" text NOT NULL, "status" text NOT NULL, "attempts" integer NOT NULL, "next_attempt_at" timestamptz(3), "last_status_code" integer, "last_error" text, "created_at" timestamptz(3) NOT NULL, "updated_at" timestamptz(3) NOT NULL, UNIQUE ("subscription_id", "event_id"));
        CREATE INDEX ON ${rm}.alert_deliveries ("next_attempt_at") WHERE "status" = 'pending';
        CREATE INDEX ON ${rm}.alert_deliveries ("tenant_id", "created_at", "delivery_id");`,
    },
  ];
}
