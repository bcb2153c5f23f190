import { RedisPatternsError } from '../core/errors.js';

/** `nearby({ member })` named a member that is not in the index. Code `GEO_MEMBER_NOT_FOUND`. */
export class GeoMemberNotFoundError extends RedisPatternsError {
  /** The `code` of every error of this class. */
  static readonly code = 'GEO_MEMBER_NOT_FOUND';
  /** The missing member. */
  readonly member: string;

  constructor(member: string) {
    super(GeoMemberNotFoundError.code, `member ${JSON.stringify(member)} is not in the geo index`);
    this.member = member;
  }
}

/**
 * `replaceAll` found its temporary index incomplete when swapping it in (it expired
 * before the load finished, or was deleted). The live index was left unchanged. Code `GEO_REBUILD`.
 */
export class GeoRebuildError extends RedisPatternsError {
  /** The `code` of every error of this class. */
  static readonly code = 'GEO_REBUILD';

  constructor(detail: string) {
    super(GeoRebuildError.code, `rebuild aborted, live index unchanged: ${detail}`);
  }
}
