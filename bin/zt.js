#!/usr/bin/env node
// `zt` as installed by package.json "bin" (and `npx zt`): registers tsx's CommonJS loader so the
// TypeScript CLI runs as is, without a build step.
'use strict';
require('tsx/cjs/api').register();
require('../cli/zt.ts');
