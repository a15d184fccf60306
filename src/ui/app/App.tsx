// The shell: a header with the pages, and the page the address names.
import { ProcessesPage } from '../processes/ProcessesPage.js';
import { SettingsPage } from '../settings/SettingsPage.js';
import { ViewerPage } from '../viewer/ViewerPage.js';
import { routeHref, useRoute } from './route.js';

const PAGES = [
  { id: 'processes', title: 'Processes' },
  { id: 'viewer', title: 'Viewer' },
  { id: 'settings', title: 'Settings' },
] as const;

export function App() {
  const route = useRoute();
  return (
    <>
      <a class="skip-link" href="#main" onClick={(e) => (e.preventDefault(), document.getElementById('main')?.focus())}>
        Skip to content
      </a>
      <header class="app-header">
        <span class="app-name">dumpkit</span>
        <nav aria-label="Pages">
          {PAGES.map((p) => (
            <a href={routeHref(p.id)} aria-current={route.page === p.id ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
      </header>
      <main class="app-main" id="main" tabIndex={-1}>
        {route.page === 'viewer' ? <ViewerPage params={route.params} /> : route.page === 'settings' ? <SettingsPage /> : <ProcessesPage />}
      </main>
    </>
  );
}
