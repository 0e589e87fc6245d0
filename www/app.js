// The page's entry point: the tabs, the Generate view (started at once), the Train view (whose
// worker starts when its tab is first opened) and, after the first grid, offline use.
import './tabs.js';
import './train.js';
import { startGenerateView } from './generate.js';
import { startOffline } from './offline.js';

startOffline(startGenerateView());
