// Every script the web app serves must run in OBS's browser source engine (Chromium 127,
// `browserslist` in package.json): eslint-plugin-compat flags browser APIs it lacks, and the
// parser's ecmaVersion caps the syntax at ES2025 (the newest edition Chromium 127 parses:
// import attributes 123, RegExp modifiers 125; ES2026's `using` needs 134). Only this
// check runs here: style and bugs are other tools' business.
import compat from "eslint-plugin-compat";
import globals from "globals";
import { fileURLToPath } from "node:url";

export default [
  {
    // The repository's root: the web app is ../../assets.
    basePath: fileURLToPath(new URL("../..", import.meta.url)),
    files: ["assets/**/*.js"],
    languageOptions: {
      ecmaVersion: 2025,
      sourceType: "module",
      globals: { ...globals.browser },
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    // Read by eslint-plugin-compat; the same target as .browserslistrc (stylelint).
    settings: { browsers: ["chrome 127"], lintAllEsApis: true },
    plugins: { compat },
    rules: { "compat/compat": "error" },
  },
];
