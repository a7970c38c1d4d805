export {
  loadSiteConfig,
  SiteFileSchema,
  type LoadSiteOptions,
  type SiteConfig,
  type SiteFile,
} from './site.js';
