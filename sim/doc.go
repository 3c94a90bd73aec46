// Package sim is the numerical core of iwsm: the variance-exploding noise
// schedule, the reverse-SDE sampler, the score network and its optimizer, the
// Monte Carlo estimators, the replay buffer, the IW-SM / iDEM trainer and the
// sample metrics. It imports only the standard library, gonum and
// iwsm/targets; it never draws, sleeps or prints.
package sim
