import { describe, expect, it } from 'vitest';
import { publishCommand, publishFlag } from '../../src/core/pubsub.js';

describe('publish commands', () => {
  it('publish sharded with SPUBLISH and flag 1, else with PUBLISH and flag 0', () => {
    expect(publishCommand(true, 'chan', 'msg')).toEqual(['SPUBLISH', 'chan', 'msg']);
    expect(publishCommand(false, 'chan', 'msg')).toEqual(['PUBLISH', 'chan', 'msg']);
    expect(publishFlag(true)).toBe('1');
    expect(publishFlag(false)).toBe('0');
  });
});
