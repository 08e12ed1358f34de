import type { RolloutClientsPageRequest } from '../rollout-read-model';

export class ListRolloutClients {
  constructor(readonly request: RolloutClientsPageRequest) {}
}
