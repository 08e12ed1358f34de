import { Body, Controller, HttpCode, Post, Res } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { ApiEndpoint } from '../../http/api-docs';
import { RequestContext } from '../../http/command-context';
import { RELEASE_EXAMPLE, ReleaseDto } from '../../read-models/release.dto';
import type { CommandContext } from '../../shared/domain/domain-event';
import { RegisterRelease, type RegisterReleaseResult } from './register-release.command';
import { RegisterReleaseRequestDto } from './register-release.request.dto';

@ApiTags('releases')
@Controller('api/v1/releases')
export class RegisterReleaseHttpController {
  constructor(private readonly commandBus: CommandBus) {}

  @Post()
  @ApiEndpoint({
    summary: 'Register a release',
    description:
      'Adds a version of a product to the catalogue: its image pinned by digest, notes, and the labels a client must carry. A version is immutable: registering it again with the same content answers 200 with the release, with other content 409.',
    access: 'update',
    body: true,
    errors: {
      400: 'Every failing field (a version that is not semantic, a digest missing).',
      409: '`release_exists`: this version is registered with other content; `differs` names the fields.',
    },
  })
  @HttpCode(201)
  @ApiCreatedResponse({ type: ReleaseDto, example: RELEASE_EXAMPLE, description: 'Registered' })
  @ApiOkResponse({
    type: ReleaseDto,
    example: RELEASE_EXAMPLE,
    description: 'Registered before, with this very content: nothing changed',
  })
  async register(
    @Body() body: RegisterReleaseRequestDto,
    @RequestContext() context: CommandContext,
    @Res({ passthrough: true }) response: Response,
  ): Promise<ReleaseDto> {
    const { release, created } = await this.commandBus.execute<
      RegisterRelease,
      RegisterReleaseResult
    >(
      new RegisterRelease({
        context,
        content: {
          product: body.product,
          version: body.version,
          image: body.image,
          imageDigest: body.imageDigest,
          notes: body.notes ?? '',
          constraints: body.constraints ?? {},
        },
      }),
    );
    if (!created) response.status(200);
    return release;
  }
}
