export { EmbeddedProfileStore } from './profile-store.js';
