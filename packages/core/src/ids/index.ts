export { escapeLoneSurrogates, idTextProblem, readId, type ReadId } from './id-text.js';
