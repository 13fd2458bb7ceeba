#!/usr/bin/env node
// Committed entry point so the `sightline` bin link exists before the first build.
import '../dist/main.js';
