import { defineScript } from '../core/script.js';
import ackSource from './scripts/ack.lua';
import addSource from './scripts/add.lua';
import countsSource from './scripts/counts.lua';
import failSource from './scripts/fail.lua';
import promoteSource from './scripts/promote.lua';
import reclaimSource from './scripts/reclaim.lua';
import removeConsumersSource from './scripts/remove-consumers.lua';
import retryDeadSource from './scripts/retry-dead.lua';

// The stream queue's scripts; the priority queue defines its own where it is used.
export const addScript = defineScript('queue/add', addSource, 3);
export const promoteScript = defineScript('queue/promote', promoteSource, 2);
export const ackScript = defineScript('queue/ack', ackSource, 2);
export const failScript = defineScript('queue/fail', failSource, 3);
export const reclaimScript = defineScript('queue/reclaim', reclaimSource, 2);
export const retryDeadScript = defineScript('queue/retry-dead', retryDeadSource, 2);
export const countsScript = defineScript('queue/counts', countsSource, 3);
export const removeConsumersScript = defineScript('queue/remove-consumers', removeConsumersSource, 1);
