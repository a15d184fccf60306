declare module '@alexaltea/capstone-js' {
  const MCapstone: () => Promise<unknown>;
  export default MCapstone;
}
