// Failures' messages and stack traces go into an encoded attributes payload, which the payload
// codec then seals: a handler's error message (tenant data) is not plain in Temporal's history.
// CommonJS because the SDK loads it by path with require() (clients and workers) and bundles it
// into the workflow code (its sandbox uses the same converter for failures it raises).
'use strict';
/* global require, exports */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { DefaultFailureConverter } = require('@temporalio/common');

exports.failureConverter = new DefaultFailureConverter({ encodeCommonAttributes: true });
