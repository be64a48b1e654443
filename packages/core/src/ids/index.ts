export { escapeLoneSurrogates, idTextProblem, isWellFormed, readId, type ReadId } from './id-text.js';
