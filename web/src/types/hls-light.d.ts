/** hls.js ships its light build (no subtitles, EME or alternate audio) without its own typings; the API is the same. */
declare module "hls.js/light" {
  export * from "hls.js";
  export { default } from "hls.js";
}
