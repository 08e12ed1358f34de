import type { RolloutsPageRequest } from '../rollout-read-model';

export class ListRollouts {
  constructor(readonly request: RolloutsPageRequest) {}
}
