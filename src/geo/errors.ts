import { RedisPatternsError } from '../core/errors.js';

/** `nearby({ member })` named a member that is not in the index. */
export class GeoMemberNotFoundError extends RedisPatternsError {
  /** The missing member. */
  readonly member: string;

  constructor(member: string) {
    super('GEO_MEMBER_NOT_FOUND', `member ${JSON.stringify(member)} is not in the geo index`);
    this.member = member;
  }
}

/**
 * `replaceAll` found its temporary index incomplete when swapping it in (it expired
 * before the load finished, or was deleted). The live index was left unchanged.
 */
export class GeoRebuildError extends RedisPatternsError {
  constructor(detail: string) {
    super('GEO_REBUILD', `rebuild aborted, live index unchanged: ${detail}`);
  }
}
