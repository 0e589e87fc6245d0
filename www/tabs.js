// The page's two views, Generate and Train: <div id="view-NAME"> shown by <button id="tab-NAME">.
// A 'viewchange' event on document (detail: the name) tells the views which one is on screen.
const VIEWS = ['generate', 'train'];

export function showView(name) {
  for (const view of VIEWS) {
    const active = view === name;
    document.getElementById(`view-${view}`).hidden = !active;
    const tab = document.getElementById(`tab-${view}`);
    tab.setAttribute('aria-selected', String(active));
    tab.classList.toggle('active', active);
  }
  document.body.dataset.view = name;
  document.dispatchEvent(new CustomEvent('viewchange', { detail: name }));
}

for (const view of VIEWS) document.getElementById(`tab-${view}`).addEventListener('click', () => showView(view));
