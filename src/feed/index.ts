/**
 * Per-owner feeds ("patient home feed"): idempotent add with trimming, fan-out,
 * newest-first cursor paging, read markers and unread counts, TTL on inactive feeds.
 *
 * @packageDocumentation
 */

export { decodeCursor, encodeCursor, type FeedPosition } from './cursor.js';
export {
  type AddResult,
  type FanOutResult,
  Feed,
  type FeedItem,
  type FeedOptions,
  type FeedPage,
  type NewFeedItem,
  type PageOptions,
} from './feed.js';
