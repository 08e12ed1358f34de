import type { ProjectedRow } from '@opcfleet/event-store';
import type { Release } from '../releases/domain/release.decider';
import { READ_MODEL_SCHEMA } from './read-model.entities';
import { toReleaseDto } from './release.dto';

export const RELEASES_TABLE = `${READ_MODEL_SCHEMA}.releases`;

/** The `releases` row of a release stream at `revision`: the columns to filter on, the document. */
export function releaseRow(streamName: string, state: Release, revision: number): ProjectedRow {
  return {
    table: RELEASES_TABLE,
    key: { release_id: state.releaseId },
    revision,
    values: {
      tenant_id: state.tenantId,
      stream_name: streamName,
      product: state.product,
      version: state.version,
      withdrawn: state.withdrawn !== undefined,
      registered_at: state.registeredAt,
      document: toReleaseDto(state),
    },
  };
}
