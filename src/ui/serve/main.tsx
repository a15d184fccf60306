// The `dumpkit serve` web pages' entry (src/ui/serve.html): crashes grouped by signature, a
// signature's crashes, a crash's detail, search; all read from the server's JSON API.
import { render } from 'preact';
import { ServeApp } from './ServeApp.js';

render(<ServeApp />, document.getElementById('app')!);
