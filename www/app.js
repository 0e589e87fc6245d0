// The page's entry point: the tabs, the Generate view (started at once) and the Train view
// (whose worker starts when its tab is first opened).
import './tabs.js';
import './train.js';
import { startGenerateView } from './generate.js';

startGenerateView();
