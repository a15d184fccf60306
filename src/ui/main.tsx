// The browser app's entry: one page, a hash router between the Processes page (Task Manager's
// Details tab, served data from `dumpkit ui`) and the Viewer (everything in the browser).
import { render } from 'preact';
import { App } from './app/App.js';

render(<App />, document.getElementById('app')!);
