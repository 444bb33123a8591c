/**
 * Live PTY sessions (#9): a headless screen per session channel, watchers and
 * joiners, stop, replay and export — on this node or, over the node link, on
 * any node of the cluster.
 */
export { LiveHub, type AttachOptions, type Attachment } from './hub.js';
export { livePeerHandlers } from './peer.js';
export { defaultScreenLimits, type ScreenLimits } from './screen.js';
export { serveViewer, type ViewerDeps } from './serve.js';
export { LiveService, type LiveControl, type SessionFacts } from './service.js';
