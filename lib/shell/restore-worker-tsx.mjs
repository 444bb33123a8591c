// Starts restore-worker.ts under tsx's loader, for tests and `tsx` runs (a worker
// does not inherit its parent's --import hooks; the compiled build starts
// restore-worker.js directly). A file, not eval'd code, so that `tsx` resolves
// from here whatever the working directory.
import { register } from 'tsx/esm/api';

register();
await import('./restore-worker.ts');
