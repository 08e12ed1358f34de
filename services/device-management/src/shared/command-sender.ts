/** The part of @nestjs/cqrs's CommandBus the workers use (a fake in unit tests). */
export interface CommandSender {
  execute(command: object): Promise<unknown>;
}
