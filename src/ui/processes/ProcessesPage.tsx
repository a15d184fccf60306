// Task Manager's Details tab (to be built: issue #11).
export function ProcessesPage() {
  return <h1>Processes</h1>;
}
