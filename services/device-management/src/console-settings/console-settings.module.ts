import { Module } from '@nestjs/common';
import { ConsoleSettingsHttpController } from './console-settings.http.controller';

/** The console's sign-in settings (GET /api/v1/console/settings), public. */
@Module({ controllers: [ConsoleSettingsHttpController] })
export class ConsoleSettingsModule {}
