// Every Lua script of the module, registered once with its number of keys.
import { defineScript } from '../core/script.js';
import acquireSource from './scripts/acquire.lua';
import confirmSource from './scripts/confirm.lua';
import extendSource from './scripts/extend.lua';
import fencedWriteSource from './scripts/fenced-write.lua';
import holdSource from './scripts/hold.lua';
import releaseSource from './scripts/release.lua';
import semaphoreAcquireSource from './scripts/semaphore-acquire.lua';
import semaphoreRefreshSource from './scripts/semaphore-refresh.lua';
import semaphoreReleaseSource from './scripts/semaphore-release.lua';
import slotStateSource from './scripts/slot-state.lua';
import unlockSource from './scripts/unlock.lua';

// FencedLock's and Semaphore's acquire and release take batches: concurrent calls share one EVALSHA.
export const acquireScript = defineScript('lock/acquire', acquireSource, 3, { batch: { replyLength: 3 } });
export const releaseScript = defineScript('lock/release', releaseSource, 4, { batch: { replyLength: 3 } });
export const extendScript = defineScript('lock/extend', extendSource, 1);
export const unlockScript = defineScript('lock/unlock', unlockSource, 1);
export const fencedWriteScript = defineScript('lock/fenced-write', fencedWriteSource, 2);
export const semaphoreAcquireScript = defineScript('lock/semaphore-acquire', semaphoreAcquireSource, 1, { batch: { replyLength: 2 } });
export const semaphoreReleaseScript = defineScript('lock/semaphore-release', semaphoreReleaseSource, 2, { batch: { replyLength: 1 } });
export const semaphoreRefreshScript = defineScript('lock/semaphore-refresh', semaphoreRefreshSource, 1);
export const holdScript = defineScript('lock/hold', holdSource, 2);
export const confirmScript = defineScript('lock/confirm', confirmSource, 2);
export const slotStateScript = defineScript('lock/slot-state', slotStateSource, 2);
