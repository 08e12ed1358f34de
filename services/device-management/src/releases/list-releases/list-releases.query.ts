export class ListReleases {
  readonly tenantId: string;
  readonly product?: string;
  /** true: only withdrawn releases; false: only the installable ones; absent: all. */
  readonly withdrawn?: boolean;
  readonly limit: number;
  readonly cursor?: string;

  constructor(props: ListReleases) {
    Object.assign(this, props);
  }
}
