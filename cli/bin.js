#!/usr/bin/env node
// The `fleetwave` executable: loads TypeScript through tsx, then runs the CLI.
/* global require, process */
/* eslint-disable @typescript-eslint/no-require-imports -- plain CommonJS: this file runs before tsx is loaded */
'use strict';
require('tsx/cjs');
require('./main.ts').main(process.argv);
