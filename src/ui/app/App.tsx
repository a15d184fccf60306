// The shell: a header with the two pages, and the page the address names.
import { ProcessesPage } from '../processes/ProcessesPage.js';
import { ViewerPage } from '../viewer/ViewerPage.js';
import { routeHref, useRoute } from './route.js';

const PAGES = [
  { id: 'processes', title: 'Processes' },
  { id: 'viewer', title: 'Viewer' },
] as const;

export function App() {
  const route = useRoute();
  return (
    <>
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
      <main class="app-main">{route.page === 'viewer' ? <ViewerPage params={route.params} /> : <ProcessesPage />}</main>
    </>
  );
}
