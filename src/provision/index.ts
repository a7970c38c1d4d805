export { provisionSite, type ProvisionOptions, type ProvisionReport } from './provision.js';
