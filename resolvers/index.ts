/** Imports every type family and builds the schema. */
import { builder } from '../schema/builder.js';
import '../schema/scalars.js';
import './errors.js';
import './entries.js';
import './commits.js';
import './references.js';
import './catalog-mutations.js';
import './tables.js';
import './table-queries.js';
import './table-mutations.js';
import './subscriptions.js';
import './runs.js';
import './marts.js';
import './maintenance.js';
import './exports.js';
import './viewer.js';

export const schema = builder.toSchema({ sortSchema: true });
