import { uuidSchema } from '@opcfleet/contracts';
import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { decodeCursor, pageOf, type PageDto } from './read-model.dto';

/**
 * A keyset page, newest first, of rows ordered by a time and a UUID that breaks ties (rollouts
 * by start, releases by registration): `limit + 1` rows after the cursor's key, the last row's
 * key the next cursor. `invalid` is the error of a cursor the API did not return.
 */
export async function newestFirstPage<Row extends ObjectLiteral, Item>(
  rows: SelectQueryBuilder<Row>,
  columns: { at: string; id: string },
  keyOf: (row: Row) => { at: Date | string; id: string },
  toItem: (row: Row) => Item,
  page: { limit: number; cursor?: string; invalid: () => Error },
): Promise<PageDto<Item>> {
  rows
    .orderBy(columns.at, 'DESC')
    .addOrderBy(columns.id, 'DESC')
    .limit(page.limit + 1);
  if (page.cursor !== undefined) {
    const key = decodeCursor(page.cursor, 2);
    if (!key || Number.isNaN(Date.parse(String(key[0]))) || !uuidSchema.safeParse(key[1]).success)
      throw page.invalid();
    rows.andWhere(`(${columns.at}, ${columns.id}) < (:at::timestamptz, :id::uuid)`, {
      at: key[0],
      id: key[1],
    });
  }
  return pageOf(await rows.getMany(), page.limit, toItem, (row) => {
    const { at, id } = keyOf(row);
    return [new Date(at).toISOString(), id];
  });
}
