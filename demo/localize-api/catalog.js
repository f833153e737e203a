// @ts-check
// The pretend LocalizeVideos domain: a fixed catalogue and a localize call that does a little real work, so
// latency and CPU metrics have something honest to measure before any fault is switched on.
'use strict';

const { createHash, randomUUID } = require('node:crypto');
const { HttpError, sleep } = require('./http-io');

const VIDEOS = [
  { id: 'v-1001', title: 'Onboarding walkthrough', durationSeconds: 312, sourceLanguage: 'en' },
  { id: 'v-1002', title: 'Quarterly product update', durationSeconds: 1804, sourceLanguage: 'en' },
  { id: 'v-1003', title: 'Recette de la tarte tatin', durationSeconds: 655, sourceLanguage: 'fr' },
  { id: 'v-1004', title: 'Sicherheitsschulung 2024', durationSeconds: 940, sourceLanguage: 'de' },
  { id: 'v-1005', title: 'Customer story: Nordlys', durationSeconds: 421, sourceLanguage: 'en' },
];

const LANGUAGES = ['ar', 'de', 'en', 'es', 'fr', 'hi', 'it', 'ja', 'ko', 'nl', 'pl', 'pt', 'sv', 'tr', 'uk', 'zh'];

function listVideos() {
  return { videos: VIDEOS };
}

/** @param {string} id */
function getVideo(id) {
  const video = VIDEOS.find((v) => v.id === id);
  if (!video) throw new HttpError(404, `no video with id ${JSON.stringify(id)}`);
  return video;
}

/**
 * @param {unknown} body
 */
async function localize(body) {
  const request = /** @type {Record<string, unknown>} */ (typeof body === 'object' && body !== null ? body : {});
  const { videoId, targetLanguage } = request;
  if (typeof videoId !== 'string') throw new HttpError(400, 'videoId must be a string, e.g. "v-1001"');
  if (typeof targetLanguage !== 'string' || !LANGUAGES.includes(targetLanguage)) {
    throw new HttpError(400, `targetLanguage must be one of ${LANGUAGES.join(', ')}`);
  }
  const video = getVideo(videoId);
  if (video.sourceLanguage === targetLanguage) throw new HttpError(400, `video ${videoId} is already in ${targetLanguage}`);
  // A few ms of hashing (CPU) and waiting (a pretend queue write): small, but visible in the histogram.
  let digest = `${videoId}:${targetLanguage}`;
  for (let i = 0; i < 2_000; i += 1) digest = createHash('sha256').update(digest).digest('hex');
  await sleep(5);
  return {
    jobId: randomUUID(),
    videoId,
    targetLanguage,
    status: 'queued',
    estimatedSeconds: Math.ceil(video.durationSeconds / 10),
    fingerprint: digest.slice(0, 16),
  };
}

module.exports = { listVideos, getVideo, localize };
