import { describeDemoE2E } from './demo.suite.js';

describeDemoE2E('embedded demo');
