# The support vector machine of Karpathy's "Hacker's guide to Neural Networks",
# chapter 2, on its 6 data points (examples/svm.csv), the whole batch at once.
# Run: gradcli -f examples/svm.py --data examples/svm.csv
# Train it: add --freeze x,y,label --descend --step 0.01 --steps 300 --every 100
a = 1; b = -2; c = -1                # the guide's starting weights
score = a*x + b*y + c                # one score per data point
# the hinge loss of each point, plus the regularisation that pulls a and b towards 0
loss = sum(np.maximum(0, -label * score + 1)) + 0.1 * (a*a + b*b)
accuracy = mean(label * score > 0)
loss
accuracy
