// The dump viewer (to be built: issue #11).
export function ViewerPage(_props: { params: URLSearchParams }) {
  return <h1>Viewer</h1>;
}
