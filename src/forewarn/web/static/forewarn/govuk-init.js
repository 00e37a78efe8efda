// Start every GOV.UK Frontend component on the page (a module file rather than an inline script,
// for the Content Security Policy).
import { initAll } from '../govuk/govuk-frontend.min.js';

initAll();
