// An error as the viewer shows it: what failed, the DumpError code, the message (which names the byte range).
import type { ViewerError } from '../worker/client.js';

export function ErrorBox(props: { error: ViewerError; what: string }) {
  const { error } = props;
  return (
    <div class="error" role="alert">
      <strong>{props.what}</strong>: <code class="error-code">{error.code}</code>
      <p class="error-message">{error.code === 'BUG' ? error.message.split('\n')[0] : error.message}</p>
      {error.code === 'BUG' && <p>This is a bug in dumpkit, not a problem with the dump: please report it with the message above.</p>}
    </div>
  );
}
