/** The `lzo` package (node bindings of miniLZO): lzo1x_1 compression, as makedumpfile -l uses. */
declare module "lzo" {
  const lzo: {
    compress(input: Uint8Array): Buffer;
    decompress(input: Uint8Array, length?: number): Buffer;
  };
  export default lzo;
}
