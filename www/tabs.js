// The page's two views, Generate and Train: <div id="view-NAME"> shown by <button id="tab-NAME">.
// A 'viewchange' event on document (detail: the name) tells the views which one is on screen.
// Keyboard: the tab list is one stop for Tab; the arrow keys, Home and End move between tabs
// (the WAI-ARIA tabs pattern).
const VIEWS = ['generate', 'train'];
const tab = (view) => document.getElementById(`tab-${view}`);

export function showView(name) {
  for (const view of VIEWS) {
    const active = view === name;
    document.getElementById(`view-${view}`).hidden = !active;
    tab(view).setAttribute('aria-selected', String(active));
    tab(view).tabIndex = active ? 0 : -1;
    tab(view).classList.toggle('active', active);
  }
  document.body.dataset.view = name;
  document.dispatchEvent(new CustomEvent('viewchange', { detail: name }));
}

function onKey(event) {
  const at = VIEWS.indexOf(document.body.dataset.view || 'generate');
  const next = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: VIEWS.length - 1 }[event.key];
  if (next === undefined) return;
  event.preventDefault();
  const view = VIEWS[(next + VIEWS.length) % VIEWS.length];
  showView(view);
  tab(view).focus();
}

for (const view of VIEWS) {
  tab(view).addEventListener('click', () => showView(view));
  tab(view).addEventListener('keydown', onKey);
}
document.body.dataset.view = 'generate';
