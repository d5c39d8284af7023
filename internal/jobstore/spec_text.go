package jobstore
