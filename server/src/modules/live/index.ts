/** Live group pages: shared snapshots on Redis pub/sub, a WebSocket hub per API process (other modules import only this). */
export { LiveSnapshots, liveSources, topicOf, parseTopic } from './live.snapshots';
export { LiveHub, LIVE_PATH } from './live.hub';
export { LiveRebuilder } from './live.rebuilder';
export { liveSubscribers } from './live.subscribers';
export { registerLiveRoutes } from './live.routes';
